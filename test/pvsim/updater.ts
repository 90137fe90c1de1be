/**
 * The simulated state machine (device.md 1.6, 7.3): runs accepted commands and scripts the
 * progress of LOCAL_RUN / LOCAL_RUN_COMMIT, one status every `stepMs`:
 *   non-reboot: INPROGRESS "Transitioning to new revision without rebooting" (now running)
 *               -> TESTING "Awaiting to see if update is stable" -> UPDATED (pv_try stays set)
 *   reboot (LOCAL_RUN_COMMIT, or rebootOnRun): INPROGRESS "Rebooting" -> reboot ->
 *               INPROGRESS "Trying new revision" -> TESTING "Awaiting to set rollback point if
 *               update is stable" -> DONE (.pv/done, pv_rev = rev)
 *   outcome "error": ERROR "Status goal not reached" + logs, then a rollback reboot back to pv_rev
 *   outcome "wontgo" (or a state the parser refuses): WONTGO "State JSON has bad format"
 * A reboot forgets the pending command and any running script (the process restarted); boot()
 * then reads boot/uboot.txt like the bootloader + Pantavisor would and resumes a tried revision.
 */
import { existsSync } from "node:fs";
import type { Command } from "./commands";
import type { PvSim } from "./sim";
import { stateProblem } from "./steps";

const GOAL_LOGS =
  '{"tsec":14457,"tnano":0,"platform":"pantavisor","lvl":"ERROR","src":"platforms","msg":"platform \'pvr-sdk_ready\' status goal timed out after waiting for more than 30 secs"}\n' +
  '{"tsec":14457,"tnano":0,"platform":"pantavisor","lvl":"ERROR","src":"controller","msg":"timed out before all goals were met. Rolling back..."}\n';

export class Updater {
  pending: Command | null = null;
  /** The revision of the ongoing update (pv->update), if any. */
  update: string | null = null;
  /** Every executed command, in order (for tests). */
  readonly executed: Command[] = [];
  private gen = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly sim: PvSim) {}

  queue(cmd: Command): void {
    this.pending = cmd;
    this.timer = setTimeout(() => {
      this.pending = null;
      this.executed.push(cmd);
      this.execute(cmd);
    }, this.sim.opts.commandDelayMs);
  }

  /** Forgets everything held in memory (a reboot or shutdown). */
  reset(): void {
    this.gen++;
    clearTimeout(this.timer);
    this.pending = null;
    this.update = null;
  }

  private execute(cmd: Command): void {
    if (cmd.op === "LOCAL_RUN" || cmd.op === "LOCAL_RUN_COMMIT") void this.localRun(cmd.payload, cmd.op === "LOCAL_RUN_COMMIT");
    else if (cmd.op === "REBOOT_DEVICE" && !this.update) void this.sim.reboot();
    // ENABLE_SSH, RUN_GC, ...: accepted, nothing observable is simulated
  }

  /** Waits one step; false when a reboot or shutdown happened meanwhile. */
  private async step(gen: number): Promise<boolean> {
    await Bun.sleep(this.sim.opts.stepMs);
    return gen === this.gen && !this.sim.closed;
  }

  private async localRun(rev: string, commit: boolean): Promise<void> {
    const { disk, opts } = this.sim;
    const gen = this.gen;
    this.update = rev;
    const text = disk.read(rev, ".pvr/json");
    const problem = text === null ? "State JSON not found" : opts.outcome === "wontgo" ? "State JSON has bad format" : stateProblem(text);
    if (problem) {
      if (existsSync(disk.trail(rev) ?? "")) disk.setProgress(rev, "WONTGO", problem);
      this.update = null;
      return;
    }
    disk.setBootEnv(disk.bootEnv().rev, rev);
    if (commit || opts.rebootOnRun) {
      disk.setProgress(rev, "INPROGRESS", "Rebooting");
      if (await this.step(gen)) void this.sim.reboot();
      return;
    }
    disk.setProgress(rev, "INPROGRESS", "Transitioning to new revision without rebooting");
    this.sim.setCurrent(rev);
    if (!(await this.step(gen))) return;
    if (opts.outcome === "error") return this.fail(rev, gen);
    disk.setProgress(rev, "TESTING", "Awaiting to see if update is stable");
    if (!(await this.step(gen))) return;
    disk.setProgress(rev, "UPDATED", "Update finished, revision not set as rollback point");
    this.update = null;
  }

  private async fail(rev: string, gen: number): Promise<void> {
    this.sim.disk.setProgress(rev, "ERROR", "Status goal not reached", GOAL_LOGS);
    if (await this.step(gen)) void this.sim.reboot(); // rollback
  }

  /** After a (re)boot: run pv_rev, or try pv_try unless it already failed (then roll back). */
  boot(): void {
    const { disk } = this.sim;
    const env = disk.bootEnv();
    const tried = env.tryRev;
    const status = tried ? disk.status(tried) : null;
    if (!tried || status === "ERROR" || status === "WONTGO") {
      if (tried) disk.setBootEnv(env.rev, null);
      this.sim.setCurrent(env.rev);
      return;
    }
    this.sim.setCurrent(tried);
    void this.trying(tried);
  }

  private async trying(rev: string): Promise<void> {
    const { disk, opts } = this.sim;
    const gen = this.gen;
    this.update = rev;
    disk.setProgress(rev, "INPROGRESS", "Trying new revision");
    if (!(await this.step(gen))) return;
    if (opts.outcome === "error") return this.fail(rev, gen);
    disk.setProgress(rev, "TESTING", "Awaiting to set rollback point if update is stable");
    if (!(await this.step(gen))) return;
    disk.setProgress(rev, "DONE", "Update finished, revision set as rollback point");
    disk.write(rev, ".pv/done", "");
    disk.setBootEnv(rev, null);
    this.update = null;
  }
}
