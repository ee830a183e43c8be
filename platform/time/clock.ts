/*
 * The one clock a process's services read (ServiceContext.now): the wall clock, or the wall clock
 * shifted by clock.offset, so staging can rehearse a date (a daylight-saving night, a refill day)
 * and end-to-end tests can run the product at a chosen instant. Production refuses a shift.
 */
import { CareloopError } from '../errors.js';

export interface ClockConfig {
  readonly env: 'development' | 'test' | 'production';
  readonly clock: { readonly offset: number };
}

/** The process clock (ms since the epoch) for this configuration. */
export function processClock(cfg: ClockConfig, wall: () => number = Date.now): () => number {
  const offset = cfg.clock.offset;
  if (offset === 0) return wall;
  if (cfg.env === 'production') throw new CareloopError('CONFIG_INVALID', 'config key "clock.offset" must be 0 in production (a shifted clock is for staging and tests)', { details: { key: 'clock.offset' } });
  return () => wall() + offset;
}
