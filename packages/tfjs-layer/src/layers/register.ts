/**
 * Registers the layer classes with TF.js serialisation, so `tf.loadLayersModel` can rebuild models that contain
 * them. A side-effect module: it is listed in package.json `sideEffects` and imported by the package entry.
 */
import { serialization } from '@tensorflow/tfjs-core';
import { DropBlock2D, DropBlock3D } from './drop-block-layer.js';
import { SpatialDropout2D } from './spatial-dropout2d.js';

serialization.registerClass(DropBlock2D);
serialization.registerClass(DropBlock3D);
serialization.registerClass(SpatialDropout2D);
