/**
 * `pnpm bench k8s --shards N --image IMAGE [--gpus G] > job.yaml`: the bench as a Kubernetes Indexed Job.
 *
 * Four resources, applied together with `kubectl apply -f job.yaml`:
 *  1. a ReadWriteMany PersistentVolumeClaim mounted at /shared in every pod: the results folder (`--out`, under
 *     /shared) and the datasets (/shared/datasets, DB_DATA_DIR), because every shard appends to files of one folder;
 *  2. Job `<name>-calibrate`: `pnpm bench ... --shard 1/N --dry-run` writes OUT/calibration.json once (skipped when it
 *     exists), with the shards' resources, since speeds measured elsewhere would size the runs wrongly;
 *  3. Job `<name>`: `completionMode: Indexed`, `completions: N`; pod i runs shard i+1 (`JOB_COMPLETION_INDEX` is
 *     0-based, `--shard` 1-based) with `--calibration OUT/calibration.json`, after an init container that waits for
 *     that file. Kubernetes has no dependencies between Jobs: the wait replaces Slurm's afterok. A failed pod is
 *     retried per index (`backoffLimitPerIndex`); a retried shard repeats none of its finished runs;
 *  4. Job `<name>-report`: waits until every shard has written OUT/k8s/<token>/shard-i.exit (its bench's exit code,
 *     whatever it was: Slurm's afterany), then `pnpm bench merge` and `pnpm bench report`. The token is new with
 *     every `pnpm bench k8s`, so that markers left by an earlier manifest cannot start a report early.
 *
 * Kubernetes: batch/v1 Indexed Jobs (1.24+); backoffLimitPerIndex is beta and on by default from 1.29, GA in 1.33.
 */
import path from 'node:path';
import { Document } from 'yaml';
// Types only (erased at run time; kubernetes-models is a devDependency): object literals typed with them get
// TypeScript's excess-property check, which catches a misspelt field that the schema validation would accept.
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IResourceRequirements } from 'kubernetes-models/v1/ResourceRequirements';
import type { BenchArgs } from '../cli/args.js';
import { positiveInt } from '../cli/args.js';
import { presetByName } from '../experiments/presets.js';
import { forwardedBenchArgs, rejectFlagsOf, shardCount, shellLine, shellQuote } from './options.js';

/** Where the shared claim is mounted in every pod. */
export const SHARED_MOUNT = '/shared';

/** Everything the manifest depends on. */
export interface K8sSetup {
  /** Base name of the resources (`db-bench`). */
  name: string;
  shards: number;
  image: string;
  /** Bench flags of every job (absolute --data-dir inside the container, if any). */
  benchArgs: string[];
  /** Results folder inside the containers, under {@link SHARED_MOUNT}. */
  outDir: string;
  /** nvidia.com/gpu per shard. */
  gpus?: number;
  /** CPU request per shard (cores). */
  cpus?: number;
  /** Memory request per shard (a Kubernetes quantity: 16Gi). */
  memory?: string;
  /** The claim's name and, for the PVC this prints, its size. */
  pvc: string;
  storage: string;
  /** Retries of each shard. */
  backoffLimitPerIndex: number;
  recalibrate?: boolean;
  /** Names this manifest's marker folder (OUT/k8s/<token>); new with every `pnpm bench k8s`. */
  token: string;
}

/** A Kubernetes quantity (`16Gi`, `500M`, `2`). */
const QUANTITY = /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/;

/** Setup from the flags; a RangeError names a bad flag. */
export function k8sSetup(flags: BenchArgs['flags']): K8sSetup {
  const shards = shardCount(flags, true) as number;
  if (flags.image === undefined || flags.image.trim() === '') {
    throw new RangeError('--image IMAGE is required: the bench image (build it from apps/bench/deploy/Dockerfile and push it to your registry)');
  }
  if (/\s/.test(flags.image)) throw new RangeError(`--image must be an image reference without spaces, got '${flags.image}'`);
  if (flags.memory !== undefined && !QUANTITY.test(flags.memory)) throw new RangeError(`--memory must be a Kubernetes quantity (e.g. 16Gi), got '${flags.memory}'`);
  const storage = flags.storage ?? '50Gi';
  if (!QUANTITY.test(storage)) throw new RangeError(`--storage must be a Kubernetes quantity (e.g. 50Gi), got '${storage}'`);
  const pvc = flags.pvc ?? 'db-bench';
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(pvc) || pvc.length > 63) {
    throw new RangeError(`--pvc must be a Kubernetes name (lower-case letters, digits and '-', at most 63), got '${pvc}'`);
  }
  const outDir = path.posix.resolve(SHARED_MOUNT, flags.out ?? path.posix.join('out', presetByName(flags.preset).name));
  if (!outDir.startsWith(`${SHARED_MOUNT}/`)) {
    throw new RangeError(`--out must be a folder on the shared volume, under ${SHARED_MOUNT} (or relative to it), got '${flags.out}'`);
  }
  const dataDir = flags['data-dir'];
  if (dataDir !== undefined && !dataDir.startsWith('/')) throw new RangeError(`--data-dir must be an absolute path inside the container, got '${dataDir}'`);
  return {
    name: 'db-bench',
    shards,
    image: flags.image,
    // Paths are the containers': forwardedBenchArgs would resolve --data-dir against this machine's folder.
    benchArgs: forwardedBenchArgs({ ...flags, 'data-dir': undefined }).concat(dataDir !== undefined ? ['--data-dir', dataDir] : []),
    outDir,
    gpus: positiveInt(flags.gpus, 'gpus'),
    cpus: positiveInt(flags.cpus, 'cpus'),
    memory: flags.memory,
    pvc,
    storage,
    backoffLimitPerIndex: 2,
    recalibrate: flags.recalibrate,
    token: `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}-${Math.random().toString(16).slice(2, 6)}`,
  };
}

/** One resource of the manifest. */
export type K8sResource = IPersistentVolumeClaim | IJob;

function resources(setup: K8sSetup, compute: boolean): IResourceRequirements {
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  if (compute && setup.cpus !== undefined) requests.cpu = String(setup.cpus);
  if (compute && setup.memory !== undefined) requests.memory = setup.memory;
  // GPUs are requested through limits only (an extended resource: request = limit).
  if (compute && setup.gpus !== undefined) limits['nvidia.com/gpu'] = String(setup.gpus);
  const r: IResourceRequirements = {};
  if (Object.keys(requests).length > 0) r.requests = requests;
  if (Object.keys(limits).length > 0) r.limits = limits;
  return r;
}

function container(setup: K8sSetup, name: string, script: string, compute: boolean): IContainer {
  const c: IContainer = {
    name,
    image: setup.image,
    workingDir: '/app',
    command: ['/bin/sh', '-c', script],
    env: [{ name: 'DB_DATA_DIR', value: `${SHARED_MOUNT}/datasets` }],
    volumeMounts: [{ name: 'shared', mountPath: SHARED_MOUNT }],
  };
  const r = resources(setup, compute);
  if (Object.keys(r).length > 0) c.resources = r;
  return c;
}

function podSpec(setup: K8sSetup, containers: IContainer[], initContainers: IContainer[] = []): IPodSpec {
  return {
    restartPolicy: 'Never',
    ...(initContainers.length > 0 ? { initContainers } : {}),
    containers,
    volumes: [{ name: 'shared', persistentVolumeClaim: { claimName: setup.pvc } }],
  };
}

function labels(setup: K8sSetup, component: string): Record<string, string> {
  return { 'app.kubernetes.io/name': setup.name, 'app.kubernetes.io/component': component };
}

/** The four resources, as objects (the test validates each against the Kubernetes schema). */
export function k8sResources(setup: K8sSetup): [IPersistentVolumeClaim, IJob, IJob, IJob] {
  const { outDir, shards } = setup;
  const q = shellQuote;
  const calibration = path.posix.join(outDir, 'calibration.json');
  const markers = path.posix.join(outDir, 'k8s', setup.token);
  const bench = (extra: string[]) => `pnpm bench ${shellLine([...setup.benchArgs, ...extra])}`;
  const pvc: IPersistentVolumeClaim = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: setup.pvc, labels: labels(setup, 'storage') },
    spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: setup.storage } } },
  };
  const calibrate: IJob = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: `${setup.name}-calibrate`, labels: labels(setup, 'calibrate') },
    spec: {
      backoffLimit: 2,
      template: {
        metadata: { labels: labels(setup, 'calibrate') },
        spec: podSpec(setup, [
          container(
            setup,
            'calibrate',
            [
              'set -eu',
              `if [ -f ${q(calibration)} ]${setup.recalibrate ? ' && false' : ''}; then echo "reusing ${calibration}"; exit 0; fi`,
              bench(['--out', outDir, '--shard', `1/${shards}`, '--dry-run', ...(setup.recalibrate ? ['--recalibrate'] : [])]),
            ].join('\n'),
            true,
          ),
        ]),
      },
    },
  };
  const shardScript = [
    'shard=$((JOB_COMPLETION_INDEX + 1))',
    `${bench(['--out', outDir, '--calibration', calibration, '--shard', `SHARD/${shards}`, '--no-report'])}`.replace(`SHARD/${shards}`, `"$shard/${shards}"`),
    'code=$?',
    // The marker the report Job waits for: written whatever the outcome (Slurm's afterany), by every attempt.
    `mkdir -p ${q(markers)} && echo "$code" > ${q(markers)}/shard-$shard.exit`,
    'exit "$code"',
  ].join('\n');
  const job: IJob = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: setup.name, labels: labels(setup, 'shards') },
    spec: {
      completionMode: 'Indexed',
      completions: shards,
      parallelism: shards,
      backoffLimitPerIndex: setup.backoffLimitPerIndex,
      template: {
        metadata: { labels: labels(setup, 'shards') },
        spec: podSpec(
          setup,
          [container(setup, 'bench', shardScript, true)],
          [
            {
              name: 'wait-for-calibration',
              image: setup.image,
              command: ['/bin/sh', '-c', `until [ -f ${q(calibration)} ]; do echo "waiting for ${calibration} (Job ${setup.name}-calibrate)"; sleep 15; done`],
              volumeMounts: [{ name: 'shared', mountPath: SHARED_MOUNT }],
            },
          ],
        ),
      },
    },
  };
  const report: IJob = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: `${setup.name}-report`, labels: labels(setup, 'report') },
    spec: {
      backoffLimit: 2,
      template: {
        metadata: { labels: labels(setup, 'report') },
        spec: podSpec(
          setup,
          [container(setup, 'report', `pnpm bench merge --out ${q(outDir)} && pnpm bench report --out ${q(outDir)}`, false)],
          [
            {
              name: 'wait-for-shards',
              image: setup.image,
              command: [
                '/bin/sh',
                '-c',
                `until [ "$(ls ${q(markers)} 2>/dev/null | grep -c '^shard-.*\\.exit$')" -ge ${shards} ]; do echo "waiting for ${shards} shard(s) to end"; sleep 30; done`,
              ],
              volumeMounts: [{ name: 'shared', mountPath: SHARED_MOUNT }],
            },
          ],
        ),
      },
    },
  };
  return [pvc, calibrate, job, report];
}

/** The manifest as multi-document YAML, with comments saying how to use it. */
export function k8sManifest(setup: K8sSetup): string {
  const [pvc, calibrate, job, report] = k8sResources(setup);
  const docs: [K8sResource, string][] = [
    [
      pvc,
      [
        ` pnpm bench on Kubernetes: ${setup.shards} shard(s) of \`pnpm bench ${shellLine(setup.benchArgs)}\`, results in ${setup.outDir}.`,
        ' Generated by `pnpm bench k8s` (apps/bench/src/cluster/k8s.ts). Apply: kubectl apply -f job.yaml',
        ` Watch:  kubectl get pods -l app.kubernetes.io/name=${setup.name} -w; kubectl logs -f job/${setup.name}-calibrate`,
        `         kubectl logs job/${setup.name} (one pod per shard: -l batch.kubernetes.io/job-completion-index=I)`,
        ` Report: when Job ${setup.name}-report completes, ${setup.outDir}/report.md and report.html are on the volume.`,
        ` Calibration: Job ${setup.name}-calibrate measures once into ${setup.outDir}/calibration.json; the shards wait for`,
        '   that file and all read it, so every shard sizes its runs alike.',
        ` Retries: each shard index is retried up to ${setup.backoffLimitPerIndex} times (backoffLimitPerIndex) and skips the runs it finished.`,
        `   A shard retried after ${setup.name}-report ran: delete that Job and apply again to redo merge + report.`,
        ` Rerun unfinished shards later: kubectl delete job ${setup.name} ${setup.name}-report, print a new manifest with the`,
        '   same flags (pnpm bench k8s ...: it waits for new shard markers) and apply it; finished runs are skipped, the PVC',
        '   and the calibration are kept.',
        '',
        ` The shared volume: a ReadWriteMany claim (NFS, CephFS, EFS, Filestore, ...), mounted at ${SHARED_MOUNT} in every pod.`,
        ` Datasets: CIFAR-10 and the COCO subset go in ${SHARED_MOUNT}/datasets (DB_DATA_DIR); MNIST ships in the image.`,
        ` Already have a claim? Delete this PersistentVolumeClaim and pass --pvc NAME.`,
      ].join('\n'),
    ],
    [calibrate, ' 1. The one calibration (skipped when the file exists).'],
    [job, ` 2. The shards: pod i (JOB_COMPLETION_INDEX) runs --shard i+1/${setup.shards}.`],
    [report, ` 3. Merge + report, after every shard has ended (each writes ${path.posix.join(setup.outDir, 'k8s', setup.token)}/shard-i.exit).`],
  ];
  return docs
    .map(([resource, comment]) => {
      const doc = new Document(resource);
      doc.commentBefore = comment;
      return doc.toString({ lineWidth: 0 });
    })
    .join('---\n');
}

/** `pnpm bench k8s`. */
export function k8sCommand(args: BenchArgs): number {
  rejectFlagsOf(args, ['partition', 'account', 'time', 'gpus-per-task', 'resume'], 'slurm');
  if (args.flags.calibration !== undefined) throw new RangeError('--calibration: the manifest calibrates once itself into OUT/calibration.json on the volume; put your file there instead');
  if (args.flags.shard !== undefined) throw new RangeError('--shard: pnpm bench k8s runs every shard (--shards N)');
  if (args.flags['dry-run']) throw new RangeError('--dry-run: pnpm bench k8s only prints the manifest; nothing is submitted');
  process.stdout.write(k8sManifest(k8sSetup(args.flags)));
  return 0;
}
