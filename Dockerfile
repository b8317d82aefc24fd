# One image for every Pairly process: the server nodes (the default command)
# and the workers (docker-compose.yml overrides the command). Two stages: the
# build stage has the dev dependencies and compiles the TypeScript to dist/;
# the image that runs has only the production dependencies and dist/, so
# neither tsx nor typescript is in it, and no process compiles at start-up.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm's postinstall patches PGlite (scripts/patch-pglite.mjs says why).
COPY scripts/patch-pglite.mjs scripts/
RUN npm ci --no-audit --no-fund
# The build context holds only package*.json, tsconfig*.json, scripts/,
# nginx/ and the sources of server/, workers/, sfu/, shared/ and web/
# (.dockerignore is an allow-list), so this copies exactly those.
COPY . .
# Compiles to dist/, copies the run-time assets beside the compiled code
# (server/migrations/*.sql, the Redis Lua scripts) and builds the web app
# into dist/web/dist: see scripts/build.mjs.
RUN npm run build

# The edge: nginx with the committed config and the built web app
# (docker-compose.yml builds this stage for its nginx service).
FROM nginx:stable-bookworm AS web
COPY nginx/nginx.conf /etc/nginx/nginx.conf
COPY --from=build /app/dist/web/dist /usr/share/pairly/web

FROM node:20-bookworm-slim AS app
ENV NODE_ENV=production
WORKDIR /app

# Dependencies first, so a source change does not reinstall them.
COPY package.json package-lock.json ./
COPY scripts/patch-pglite.mjs scripts/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist

# Embedded mode (no DATABASE_URL) keeps PGlite and its JWT secret in ./data;
# cluster mode never writes to disk. Everything else stays root-owned, read-only.
RUN mkdir -p /app/data && chown node:node /app/data
USER node

EXPOSE 3000
# node itself, not npm start: signals reach the server directly (npm would sit
# between), and --enable-source-maps makes stack traces name the .ts lines.
CMD ["node", "--enable-source-maps", "dist/server/src/main.js"]
