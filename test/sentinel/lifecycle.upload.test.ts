import { loadSettings } from '../../lib/config';
import { runLifecycle } from '../../lib/sentinel/lifecycle';
import { publish } from '../../lib/sentinel/publish';
import { startArmFake, type ArmFake } from '../fakes/armServer';
import { startTiUploadFake, type UploadFake } from '../fakes/tiUploadServer';
import { connectUpload, ipIocs } from './uploadHarness';

/** The reconciling pass on the upload write path: indicators written as STIX objects are reconciled like ARM's. */
describe('indicator lifecycle on the upload write path', () => {
  let arm: ArmFake;
  let upload: UploadFake;
  beforeEach(async () => {
    arm = await startArmFake();
    upload = await startTiUploadFake(arm);
  });
  afterEach(() => Promise.all([upload.close(), arm.close()]));

  it('revokes the withdrawn IOC and confirms the others, day after day', async () => {
    const stores = connectUpload(arm, upload);
    const now = new Date('2026-06-21T00:00:00Z');
    const iocs = ipIocs(4);
    await publish(iocs, stores, { source: 'ThreatFox', ttlDays: 30, concurrency: 4, now, huntingLookback: '14d' });
    expect(arm.indicators.size).toBe(4);
    const withdrawn = iocs[0].threatfoxId;
    const source = {
      iocById: async (id: number) => (String(id) === withdrawn ? undefined : { id: String(id), ioc: 'x' }),
    };
    const sentinel = { ...loadSettings({}).sentinel, source: 'ThreatFox' };
    const done = await runLifecycle([stores], { reconcile: { source, budget: 10 } }, sentinel, { now });
    expect(done.reconcile).toEqual({ confirmed: 3, revoked: 1, lookupFailed: 0, notChecked: 0, failed: 0 });
    expect([...arm.indicators.values()].filter((i) => i.properties.revoked === true)).toHaveLength(1);
    // The next day: the fingerprint written with the confirmation reads back unchanged, so they are still ours to check.
    const nextDay = new Date('2026-06-22T00:00:00Z');
    const again = await runLifecycle([stores], { reconcile: { source, budget: 10 } }, sentinel, { now: nextDay });
    expect(again.reconcile).toMatchObject({ confirmed: 3, revoked: 0 });
  });
});
