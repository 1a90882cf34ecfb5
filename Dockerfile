# One image for every Folio process: web (`npm run serve`), worker (`npm run worker`), migrate.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1 ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc ./
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY . .
RUN node node_modules/next/dist/bin/next build
ENV NODE_ENV=production DATA_DIR=/data MODELS_DIR=/models
EXPOSE 3000
CMD ["npm", "run", "serve"]
