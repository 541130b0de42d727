import { Piscina } from 'piscina';
import type { KernelWorkerData, ScanResult, ScanTask } from './messages.js';
import { KernelScanner } from './scan.js';

// A Piscina worker: instantiates the kernel once on the shared memory and answers scans.
// It reads matrices in place; it writes only to its own scratch region.

const { memory, control, module } = Piscina.workerData as KernelWorkerData;
const scanner = new KernelScanner(module, memory, control);

/** Runs one scan (see ScanTask / ScanResult in messages.ts). */
export default function scan(task: ScanTask): ScanResult {
  return scanner.scan(task);
}
