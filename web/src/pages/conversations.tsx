import { PageTitle } from '../components/ui.js';

export default function Conversations() {
  return (
    <section className="page">
      <PageTitle>Conversations</PageTitle>
    </section>
  );
}
