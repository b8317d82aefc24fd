import { PageTitle } from '../../components/ui.js';

export default function Admin() {
  return (
    <section className="page">
      <PageTitle>Admin</PageTitle>
    </section>
  );
}
