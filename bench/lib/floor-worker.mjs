// A bare kernel thread for the kernel section's two-thread bandwidth floor: instantiates the SIMD
// kernel on the pool's shared memory and answers {offset, count} with sumFloats over those floats
// (reads only, no multiply). Two of these reading one half each = the most a two-worker scan can
// get from the memory system of this machine, measured in the same run.
import { parentPort, workerData } from 'node:worker_threads';

const { memory, module } = workerData;
const kernel = new WebAssembly.Instance(module, { env: { memory } }).exports;
parentPort.on('message', ({ offset, count }) => parentPort.postMessage(kernel.sumFloats(offset, count)));
