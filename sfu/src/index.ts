export { createSfuController } from './controller.js';
export {
  JanusError,
  JanusUnreachableError,
  NoHealthySfuError,
  UnknownSfuInstanceError,
} from './errors.js';
export type { JanusInstanceConfig, SfuControllerOptions, SfuLogger } from './options.js';
export type { CircuitOptions } from './circuit.js';
export type { SfuController, SfuInstanceHealth, SfuRoom } from '../../shared/sfu.js';
