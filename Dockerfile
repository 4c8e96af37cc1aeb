# metergate: one image for every role (broker, gateway, edge, simulate). Built in two stages: the
# first compiles the TypeScript with the dev dependencies (`npm run build` → dist/), the second holds
# only the compiled JavaScript and the production dependencies, so nothing runs through tsx.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# serialport's native binding ships prebuilt inside its npm package; nothing is downloaded besides
# npm packages.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
RUN mkdir -p /var/lib/metergate && chown node:node /var/lib/metergate
USER node
# The same V8 flag as bin/metergate's shebang (see there for the measurement behind it). Node
# handles SIGTERM itself: every role stops cleanly on it (`docker stop`).
ENTRYPOINT ["node", "--max-semi-space-size=64", "/app/dist/cli/main.js"]
CMD ["--help"]
