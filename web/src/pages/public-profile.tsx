import { PageTitle } from '../components/ui.js';

export default function PublicProfile() {
  return (
    <section className="page">
      <PageTitle>PublicProfile</PageTitle>
    </section>
  );
}
