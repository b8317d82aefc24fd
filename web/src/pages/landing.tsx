import { Link } from 'react-router';

export function Landing() {
  return (
    <section className="landing">
      <div className="hero">
        <h1>Meet people who fit. Talk now.</h1>
        <p className="lead">
          Pairly matches you on what matters to you, lets you chat and call in real time, and puts you face to face with someone new in one click. Creators
          set their own prices for messages and calls; everything is paid in credits.
        </p>
        <div className="hero-actions">
          <Link to="/signup" className="btn btn-primary btn-large">
            Join Pairly
          </Link>
          <Link to="/login" className="btn btn-secondary btn-large">
            Log in
          </Link>
        </div>
      </div>
      <ul className="features">
        <li>
          <h2>Compatibility that explains itself</h2>
          <p>Answer questions, say what you accept and how much it matters. Every card shows your match percentage.</p>
        </li>
        <li>
          <h2>Chat, live</h2>
          <p>See when they are typing, when your message arrived and when it was read.</p>
        </li>
        <li>
          <h2>Random match</h2>
          <p>Pick interests, meet someone new by text or video, skip any time.</p>
        </li>
        <li>
          <h2>Creators you can reach</h2>
          <p>Message or call creators at the price they set. You always see the price before you pay.</p>
        </li>
      </ul>
    </section>
  );
}
