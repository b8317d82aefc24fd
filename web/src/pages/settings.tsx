import { PageTitle } from '../components/ui.js';

export default function Settings() {
  return (
    <section className="page">
      <PageTitle>Settings</PageTitle>
    </section>
  );
}
