import { PageTitle } from '../components/ui.js';

export default function Wallet() {
  return (
    <section className="page">
      <PageTitle>Wallet</PageTitle>
    </section>
  );
}
