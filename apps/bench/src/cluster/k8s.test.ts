import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { Job, type IJob } from 'kubernetes-models/batch/v1/Job';
import { PersistentVolumeClaim, type IPersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { parseBenchArgs } from '../cli/args.js';
import { k8sCommand, k8sManifest, k8sSetup } from './k8s.js';

const setupOf = (argv: string[]) => k8sSetup(parseBenchArgs(['k8s', ...argv]).flags);

/** Validates one resource against the Kubernetes OpenAPI schema of kubernetes-models; throws its error. */
function validate(resource: Record<string, unknown>): void {
  if (resource.kind === 'Job') new Job(resource as unknown as IJob).validate();
  else if (resource.kind === 'PersistentVolumeClaim') new PersistentVolumeClaim(resource as unknown as IPersistentVolumeClaim).validate();
  else throw new Error(`unexpected kind ${String(resource.kind)}`);
}

/** The manifest of `pnpm bench k8s --preset paper --shards 15 --image X --gpus 1`, parsed back from its YAML. */
function paperManifest(): Record<string, unknown>[] {
  const text = k8sManifest(setupOf(['--preset', 'paper', '--shards', '15', '--image', 'X', '--gpus', '1']));
  const docs = parseAllDocuments(text);
  for (const d of Array.isArray(docs) ? docs : [docs]) expect(d.errors).toEqual([]);
  return (Array.isArray(docs) ? docs : [docs]).map((d) => d.toJS() as Record<string, unknown>);
}

const jobNamed = (docs: Record<string, unknown>[], name: string) => docs.find((d) => d.kind === 'Job' && (d.metadata as { name: string }).name === name) as unknown as IJob;

describe('pnpm bench k8s', () => {
  it('prints a PVC and three Jobs that validate against the Kubernetes schema', () => {
    const docs = paperManifest();
    expect(docs.map((d) => `${d.kind}/${(d.metadata as { name: string }).name}`)).toEqual([
      'PersistentVolumeClaim/db-bench',
      'Job/db-bench-calibrate',
      'Job/db-bench',
      'Job/db-bench-report',
    ]);
    for (const d of docs) expect(() => validate(d)).not.toThrow();
  });

  it('is an Indexed Job of 15 completions on one ReadWriteMany claim, one GPU per shard, retried per index', () => {
    const docs = paperManifest();
    const pvc = docs[0] as unknown as IPersistentVolumeClaim;
    expect(pvc.spec?.accessModes).toEqual(['ReadWriteMany']);
    const job = jobNamed(docs, 'db-bench');
    expect(job.spec).toMatchObject({ completionMode: 'Indexed', completions: 15, parallelism: 15, backoffLimitPerIndex: 2 });
    const pod = job.spec?.template.spec;
    expect(pod?.restartPolicy).toBe('Never'); // backoffLimitPerIndex requires it
    expect(pod?.volumes).toEqual([{ name: 'shared', persistentVolumeClaim: { claimName: 'db-bench' } }]);
    expect(pod?.containers[0].resources).toEqual({ limits: { 'nvidia.com/gpu': '1' } });
    for (const name of ['db-bench-calibrate', 'db-bench-report']) {
      expect(jobNamed(docs, name).spec?.template.spec?.volumes).toEqual(pod?.volumes);
    }
    // The report job needs no GPU.
    expect(jobNamed(docs, 'db-bench-report').spec?.template.spec?.containers[0].resources).toBeUndefined();
  });

  it('pod i runs shard i+1 with the one calibration, after waiting for it', () => {
    const job = jobNamed(paperManifest(), 'db-bench');
    const pod = job.spec?.template.spec;
    const script = pod?.containers[0].command?.[2] as string;
    expect(script).toContain('pnpm bench --preset paper --out /shared/out/paper --calibration /shared/out/paper/calibration.json --shard "$shard/15" --no-report');
    // The shell evaluates the shard index as the container would: JOB_COMPLETION_INDEX is 0-based.
    const r = spawnSync('/bin/sh', ['-c', `${script.split('\n')[0]}; echo "$shard/15"`], { env: { JOB_COMPLETION_INDEX: '14' }, encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('15/15');
    for (const c of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) {
      expect(spawnSync('/bin/sh', ['-n', '-c', c.command?.[2] as string]).status).toBe(0);
    }
    expect(pod?.initContainers?.[0].command?.[2]).toContain('until [ -f /shared/out/paper/calibration.json ]');
    const calibrate = jobNamed(paperManifest(), 'db-bench-calibrate').spec?.template.spec?.containers[0].command?.[2];
    expect(calibrate).toContain('pnpm bench --preset paper --out /shared/out/paper --shard 1/15 --dry-run');
  });

  it('a broken manifest fails the schema validation, naming the field', () => {
    const broken = (edit: (job: IJob) => void) => {
      const job = structuredClone(jobNamed(paperManifest(), 'db-bench'));
      edit(job);
      return () => validate(job as unknown as Record<string, unknown>);
    };
    expect(broken((j) => ((j.spec as { completionMode: string }).completionMode = 'Indexd'))).toThrow('data/spec/completionMode must be equal to one of the allowed values');
    expect(broken((j) => ((j.spec as unknown as { completions: string }).completions = '15'))).toThrow('data/spec/completions must be integer');
    expect(broken((j) => delete (j.spec?.template.spec?.containers[0] as { name?: string }).name)).toThrow(
      'data/spec/template/spec/containers/0 must have required property',
    );
    expect(broken((j) => delete (j.spec as { template?: unknown }).template)).toThrow('data/spec must have required property template');
  });

  it('rejects bad flags with the flag named', () => {
    expect(() => setupOf(['--shards', '3'])).toThrow('--image IMAGE is required');
    expect(() => setupOf(['--image', 'x'])).toThrow('--shards N is required');
    expect(() => setupOf(['--shards', '3', '--image', 'x', '--memory', '16 GB'])).toThrow("--memory must be a Kubernetes quantity (e.g. 16Gi), got '16 GB'");
    expect(() => setupOf(['--shards', '3', '--image', 'x', '--out', '/results'])).toThrow('--out must be a folder on the shared volume, under /shared');
    expect(() => setupOf(['--shards', '3', '--image', 'x', '--pvc', 'Bench_Results'])).toThrow('--pvc must be a Kubernetes name');
    expect(() => setupOf(['--shards', '3', '--image', 'x', '--gpus', '-1'])).toThrow(/--gpus must be a positive integer|Option '--gpus' argument is ambiguous/);
    expect(() => k8sCommand(parseBenchArgs(['k8s', '--shards', '3', '--image', 'x', '--partition', 'gpu']))).toThrow('--partition is a flag of pnpm bench slurm, not of pnpm bench k8s');
  });
});
