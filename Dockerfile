# One image for every Pairly process: the server nodes (the default command)
# and the workers (docker-compose.yml overrides the command). TypeScript runs
# through tsx, a runtime dependency, so there is no build step.
FROM node:20-bookworm-slim

ENV NODE_ENV=production
WORKDIR /app

# Dependencies first, so a source change does not reinstall them. --omit=dev
# keeps tsx (a runtime dependency) and drops typescript, vitest and @types.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# The build context holds only tsconfig.json, server/, workers/, sfu/ and
# shared/ (.dockerignore is an allow-list), so this copies exactly those.
COPY . .

# Embedded mode (no DATABASE_URL) keeps PGlite and its JWT secret in ./data;
# cluster mode never writes to disk. Everything else stays root-owned, read-only.
RUN mkdir -p /app/data && chown node:node /app/data
USER node

EXPOSE 3000
CMD ["node", "--import", "tsx", "server/src/main.ts"]
