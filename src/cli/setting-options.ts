// Commander options for the settings of config.ts: a command declares which settings it takes (under their own
// flag, or another name), and gets back the values the user typed, for buildConfig to merge with the environment.
import { Option } from 'commander';
import type { Command } from 'commander';
import { buildConfig, placeholderOf, SETTINGS } from '../config.js';
import type { Config } from '../config.js';

export class SettingOptions {
  private readonly options: Array<{ key: keyof Config; option: Option }> = [];

  /** Adds the flag of setting `key` (named `--${flag}` when given) to `command`. */
  add(command: Command, key: keyof Config, flag?: string): this {
    const setting = SETTINGS.find((candidate) => candidate.key === key);
    if (!setting) throw new Error(`no setting ${key}`);
    // env() and the default's description are for help; buildConfig reads the variable itself, to name it in errors.
    const option = new Option(`--${flag ?? setting.flag} ${placeholderOf(setting)}`, setting.description).env(setting.env);
    if (setting.default !== undefined) option.default(undefined, String(setting.default));
    command.addOption(option);
    this.options.push({ key, option });
    return this;
  }

  /** The configuration from the flags typed on `command`, the environment and the defaults. */
  config(command: Command, env: NodeJS.ProcessEnv = process.env): Config {
    const typed: Partial<Record<keyof Config, unknown>> = {};
    const flagNames: Partial<Record<keyof Config, string>> = {};
    for (const { key, option } of this.options) {
      const name = option.attributeName();
      if (command.getOptionValueSource(name) === 'cli') typed[key] = command.getOptionValue(name);
      flagNames[key] = option.long;
    }
    return buildConfig(typed, env, { flagNames });
  }
}
