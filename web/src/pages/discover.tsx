import { PageTitle } from '../components/ui.js';

export default function Discover() {
  return (
    <section className="page">
      <PageTitle>Discover</PageTitle>
    </section>
  );
}
