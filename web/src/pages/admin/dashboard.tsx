import type { ReactNode } from 'react';
import { PageTitle, Loading } from '../../components/ui.js';
import { entriesByValue, sum } from '../../lib/admin-format.js';
import type { SeriesPoint } from '../../lib/admin-series.js';
import { errorText } from '../../lib/error-text.js';
import { LiveChart } from './chart.js';
import { useAdminLive } from './live.js';

const online = (p: SeriesPoint) => p.online;
const mps = (p: SeriesPoint) => p.messagesPerSecond;
const n = (v: number) => v.toLocaleString(undefined, { maximumFractionDigits: 1 });

function Tile({ label, value, children, testId }: { label: string; value: number; children?: ReactNode; testId?: string }) {
  return (
    <section className="tile" aria-label={label}>
      <h2 className="tile-label">{label}</h2>
      <p className="tile-value" data-testid={testId}>
        {n(value)}
      </p>
      {children}
    </section>
  );
}

/** Key → count rows under a tile (sockets per node, queue per mode, calls per SFU instance). */
function Breakdown({ rows, empty }: { rows: [string, number][]; empty: string }) {
  if (rows.length === 0) return <p className="tile-note">{empty}</p>;
  return (
    <dl className="breakdown">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{n(v)}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The live dashboard: tiles and charts from the snapshots the /admin namespace pushes each second. */
export function Dashboard() {
  const { view } = useAdminLive();
  const s = view.snapshot;
  return (
    <section className="page admin-page">
      <PageTitle>Live dashboard</PageTitle>
      {!s ? (
        view.state === 'refused' ? (
          <div className="state state-error" role="alert">
            <p>The live feed was refused: {view.refusal ? errorText(view.refusal) : 'admins only'}.</p>
          </div>
        ) : (
          <Loading label="Waiting for the first live snapshot" />
        )
      ) : (
        <>
          <p className="admin-meta">
            Updated {new Date(s.at).toLocaleTimeString()} by node <code>{s.node}</code>
            {view.state !== 'connected' && <strong className="stale"> — not live, showing the last snapshot</strong>}
          </p>
          <div className="tiles">
            <Tile label="Online users" value={s.onlineUsers} testId="online-count" />
            <Tile label="Messages per second" value={s.messagesPerSecond} />
            <Tile label="Sockets" value={sum(s.socketsPerNode)}>
              <Breakdown rows={entriesByValue(s.socketsPerNode)} empty="No sockets open." />
            </Tile>
            <Tile label="Calls in progress" value={s.activeCalls.active}>
              <p className="tile-note">
                {n(s.activeCalls.ringing)} ringing or connecting
              </p>
              <Breakdown rows={entriesByValue(s.activeCalls.perSfuInstance)} empty="No calls on any SFU instance." />
            </Tile>
            <Tile label="Waiting for a random match" value={sum(s.matchQueue)}>
              <Breakdown rows={entriesByValue(s.matchQueue)} empty="Nobody is waiting." />
            </Tile>
          </div>
          <div className="charts">
            <LiveChart title="Online users" series={view.series} value={online} tone="accent" />
            <LiveChart title="Messages per second" series={view.series} value={mps} tone="accent-2" />
          </div>
        </>
      )}
    </section>
  );
}
