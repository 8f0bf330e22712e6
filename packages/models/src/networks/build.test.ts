import '@tensorflow/tfjs'; // registers the cpu backend the builds create their weights on
import { describe, expect, it } from 'vitest';
import { SeedSequence } from '../init/seeds.js';
import { regularizerLayer } from '../regularizer/layer.js';
import { regularizer } from '../regularizer/spec.js';
import { NETWORK_NAMES } from '../regularizer/variants.js';
import { regularizerLayers } from '../test-utils/inspect.js';
import { buildNetwork } from './build.js';
import { customNet } from './custom-net.js';
import { densenet } from './densenet.js';
import { resnet50 } from './resnet50.js';

describe('buildNetwork', () => {
  it('builds each network by name, passing on only the options it has', () => {
    const options = {
      inputShape: [28, 28, 1] as const,
      numClasses: 10,
      regularizer: regularizer.dropBlock(3, 0.9),
      seed: 2,
      stageBlocks: [1, 1, 1, 1] as const,
      blocks: [2, 2],
      growthRate: 8,
    };
    expect(NETWORK_NAMES).toEqual(['resnet50', 'densenet', 'customNet']);
    // Each builder takes only its own options (an unknown key is an error), so the direct calls get their subsets.
    const { stageBlocks, blocks, growthRate, ...shared } = options;
    const direct = {
      customNet: customNet(shared),
      resnet50: resnet50({ ...shared, stageBlocks }),
      densenet: densenet({ ...shared, blocks, growthRate }),
    };
    expect(() => customNet(options as never)).toThrow(/customNet options: unknown options 'stageBlocks', 'blocks', 'growthRate'/);
    for (const name of NETWORK_NAMES) {
      const model = buildNetwork(name, options);
      expect(model.countParams(), name).toBe(direct[name].countParams());
      expect(model.layers.map((l) => l.name)).toEqual(direct[name].layers.map((l) => l.name));
    }
    expect(regularizerLayers(buildNetwork('resnet50', options))).toHaveLength(8);
    expect(regularizerLayers(buildNetwork('densenet', options))).toHaveLength(8);
    expect(() => buildNetwork('vgg16' as never, options)).toThrow(/network/);
  });
});

describe('regularizerLayer', () => {
  it('makes the layer a spec stands for, or null for none', () => {
    const seeds = new SeedSequence(1);
    expect(regularizerLayer(regularizer.none(), 'r0', seeds)).toBeNull();
    const dropout = regularizerLayer(regularizer.dropout(0.25), 'r1', seeds)!;
    expect([dropout.getClassName(), dropout.name, dropout.getConfig()['rate']]).toEqual(['Dropout', 'r1', 0.25]);
    const spatial = regularizerLayer(regularizer.spatialDropout(0.7), 'r2', seeds)!;
    expect([spatial.getClassName(), spatial.getConfig()['rate']]).toEqual(['SpatialDropout2D', 0.7]);
    expect(Number.isInteger(spatial.getConfig()['seed'])).toBe(true);
    const block = regularizerLayer(regularizer.dropBlock(7, 0.8), 'r3', seeds)!;
    const config = block.getConfig();
    expect([block.getClassName(), config['blockSize'], config['keepProb'], config['dataFormat']]).toEqual([
      'DropBlock2D',
      7,
      0.8,
      'channelsLast',
    ]);
    expect(config['seed']).not.toBe(spatial.getConfig()['seed']);
  });
});
