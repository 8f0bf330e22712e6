// Loads CIFAR-10 into fresh caches from a child process, round after round, for the cross-process concurrency test
// of cifar10.test.ts. Arguments: a folder, the RemoteArchive as JSON, this child's index, the number of rounds.
// Round r loads into <folder>/cache-r: the child creates ready-r-<index>, waits for go-r (so the processes' first-time
// loads really overlap), loads, and writes its result to done-r-<index>.
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadCifar10 } from '../cifar10.js';

const [dir, archiveJson, index, rounds] = process.argv.slice(2);
for (let r = 0; r < Number(rounds); r++) {
  writeFileSync(path.join(dir, `ready-${r}-${index}`), '');
  while (!existsSync(path.join(dir, `go-${r}`))) await new Promise((resolve) => setTimeout(resolve, 5));
  let result: object;
  try {
    const d = await loadCifar10({
      cacheDir: path.join(dir, `cache-${r}`),
      archive: JSON.parse(archiveJson),
      sources: ['cache', 'download'],
      download: true,
      recordsPerBatch: 3,
      log: false,
      downloadOptions: { progress: false },
    });
    result = { ok: true, train: d.train.count, test: d.test.count };
  } catch (err) {
    result = { ok: false, error: (err as Error).message };
  }
  // Written under another name, then renamed: the test reads it as soon as the name appears.
  const done = path.join(dir, `done-${r}-${index}`);
  writeFileSync(`${done}.part`, JSON.stringify(result));
  renameSync(`${done}.part`, done);
}
