import { PageTitle } from '../components/ui.js';

export default function Random() {
  return (
    <section className="page">
      <PageTitle>Random</PageTitle>
    </section>
  );
}
