# metergate: one image for every role (broker, gateway, edge, simulate). The build steps are the
# README's: `npm ci`, then run `metergate` — TypeScript runs through tsx, so there is no build stage.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# serialport's native binding ships prebuilt inside its npm package; nothing is downloaded besides
# npm packages.
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
RUN ln -s /app/bin/metergate /usr/local/bin/metergate && mkdir -p /var/lib/metergate && chown node:node /var/lib/metergate
USER node
ENTRYPOINT ["metergate"]
CMD ["--help"]
