// PostGraphile 5 for bench/run.sh: the amber preset (v5's recommended defaults) plus
// postgraphile-plugin-connection-filter, served by grafserv on node:http, in production
// mode (no GraphiQL, no watch, no explain). WORKERS=n (n ≥ 2) forks n workers with
// node:cluster sharing the port — the usual way to give a Node server more than one core
// (PostGraphile 4's `--cluster-workers` does the same). Each process has its own pool of
// 10 connections (node-postgres' default, as in v4).
//
// Env: PG5_DIR (where postgraphile@5 is installed, outside the repo), DATABASE_URL, HOST,
// PORT, WORKERS (default 1).
"use strict";
const cluster = require("node:cluster");
const { createServer } = require("node:http");
const { createRequire } = require("node:module");

const workers = Number(process.env.WORKERS || "1");

if (workers >= 2 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  // A dead worker would silently halve the capacity under test: stop everything instead.
  cluster.on("exit", (w, code, signal) => {
    console.error(`worker ${w.process.pid} exited (code=${code}, signal=${signal})`);
    process.exit(1);
  });
  process.on("SIGTERM", () => {
    for (const w of Object.values(cluster.workers)) w.kill("SIGTERM");
    process.exit(0);
  });
} else {
  const req = createRequire(`${process.env.PG5_DIR}/package.json`);
  const { postgraphile } = req("postgraphile");
  const { PostGraphileAmberPreset } = req("postgraphile/presets/amber");
  const { makePgService } = req("postgraphile/adaptors/pg");
  const { grafserv } = req("postgraphile/grafserv/node");
  const { PostGraphileConnectionFilterPreset } = req("postgraphile-plugin-connection-filter");

  const preset = {
    extends: [PostGraphileAmberPreset, PostGraphileConnectionFilterPreset],
    pgServices: [
      makePgService({ connectionString: process.env.DATABASE_URL, schemas: ["public"] }),
    ],
    grafserv: { graphqlPath: "/graphql", graphiql: false, watch: false },
    grafast: { explain: false },
  };
  const pgl = postgraphile(preset);
  const serv = pgl.createServ(grafserv);
  const server = createServer();
  server.keepAliveTimeout = 65_000;
  serv.addTo(server).then(() => {
    server.listen(Number(process.env.PORT || "5005"), process.env.HOST || "127.0.0.1");
  });
  process.on("SIGTERM", () => {
    server.close();
    pgl.release().finally(() => process.exit(0));
  });
}
