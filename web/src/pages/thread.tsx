import { PageTitle } from '../components/ui.js';

export default function Thread() {
  return (
    <section className="page">
      <PageTitle>Thread</PageTitle>
    </section>
  );
}
