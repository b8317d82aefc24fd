import { Component, type ReactNode } from 'react';

/**
 * The last line of the app: a page that fails to render (a file that would not load even after the
 * reload, or a bug) shows this with a way out, not a blank screen.
 */
export class AppErrorBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  state = { failed: false };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  render() {
    if (!this.state.failed) return this.props.children;
    return (
      <main className="state state-error" role="alert">
        <p className="state-title">This page could not be shown</p>
        <p>Part of it did not load, or something went wrong. Loading it again usually helps.</p>
        <button type="button" className="btn btn-primary" onClick={() => window.location.reload()}>
          Load the page again
        </button>
      </main>
    );
  }
}
