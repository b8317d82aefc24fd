import { PageTitle } from '../components/ui.js';

export default function Onboarding() {
  return (
    <section className="page">
      <PageTitle>Onboarding</PageTitle>
    </section>
  );
}
