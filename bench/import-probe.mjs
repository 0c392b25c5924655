// Cold-start probe, run in a fresh `node` per measurement by bench/cold-start.ts: import one bundle (argv[2], a file
// URL), never call its handler, and report the import's wall time, its CPU time (less sensitive to other load on the
// machine) and the memory the process holds afterwards.
const cpuBefore = process.cpuUsage();
const started = performance.now();
let error;
try {
  await import(process.argv[2]);
} catch (e) {
  error = String(e?.stack ?? e);
}
const ms = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
const { rss, heapUsed } = process.memoryUsage();
process.stdout.write(JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, rss, heapUsed, ...(error ? { error } : {}) }));
