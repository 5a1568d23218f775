/**
 * The benchmark's arithmetic: medians, the ratios of issue 6 and the
 * scaling figures, from hand-made run figures (no timing happens here).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { finish, median, ratios, scaling, type ContenderResult, type SizeResult } from "../bench/summary";

function contender(id: ContenderResult["id"], walls: number[], rssKb = 100 * 1024): ContenderResult {
  return finish({ id, label: id, runs: walls.map((wallMs) => ({ wallMs, peakRssKb: rssKb, cpuS: wallMs / 2000, serverCpuS: wallMs / 4000 })) });
}

describe("bench summary", () => {
  it("takes the median of odd and even run counts", () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([7]), 7);
  });

  it("computes ours/limit, ours/pgloader and the verification overhead from medians", () => {
    const cs = [
      contender("ours", [1100, 1000, 5000]), // median 1100: one slow outlier does not count
      contender("ours-verify", [1650, 1600, 1700]),
      contender("pgloader", [2200, 2200, 2300]),
      contender("limit", [1000, 900, 1100]),
    ];
    const r = ratios(cs);
    assert.equal(r.oursOverLimit, 1.1);
    assert.equal(r.oursOverPgloader, 0.5);
    assert.equal(r.verificationOverhead, 0.5);
    assert.equal(r.oursOverLimitCpu, (1100 / 2000 + 1100 / 4000) / (1000 / 2000 + 1000 / 4000));
  });

  it("leaves ratios out when a contender was skipped or failed", () => {
    const skipped: ContenderResult = finish({ id: "pgloader", label: "pgloader", skipped: "skipped: not installed", runs: [] });
    const failed: ContenderResult = finish({ id: "limit", label: "limit", failed: "exit 1: boom", runs: [{ wallMs: 5, peakRssKb: 1 }] });
    const r = ratios([contender("ours", [1000]), skipped, failed]);
    assert.equal(r.oursOverPgloader, undefined);
    assert.equal(r.oursOverLimit, undefined);
    assert.equal(failed.medianWallMs, undefined);
  });

  it("reports time and memory growth between sizes", () => {
    const size = (rows: number, wall: number, rssMb: number): SizeResult => ({
      rows, runs: 1, tableRows: {}, sqliteMb: 0, ratios: {}, targetChecked: false, targetDiffs: [], notes: [],
      contenders: [contender("ours", [wall], rssMb * 1024)],
    });
    const s = scaling([size(1_000_000, 4300, 150), size(250_000, 1000, 140)]);
    assert.equal(s.length, 1);
    assert.equal(s[0]?.fromRows, 250_000);
    assert.equal(s[0]?.rowsFactor, 4);
    assert.equal(s[0]?.timeFactor, 4.3);
    assert.equal(s[0]?.fromPeakRssMb, 140);
    assert.equal(s[0]?.toPeakRssMb, 150);
  });
});
