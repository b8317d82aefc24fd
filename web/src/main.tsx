import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { AppErrorBoundary } from './components/app-error.js';
import { reloadOnChunkError } from './lib/chunk-reload.js';
import './styles.css';

reloadOnChunkError(window);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <AppErrorBoundary>
      <App />
    </AppErrorBoundary>
  </StrictMode>,
);
