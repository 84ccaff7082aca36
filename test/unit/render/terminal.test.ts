// What stdout is, decided from the environment: a terminal of some width with or without colour, or a pipe.
import { describe, expect, it } from 'vitest';
import { detectOutput, paint, PLAIN_OUTPUT, stripColor, terminalOutput } from '../../../src/render/terminal.js';

const tty = { isTTY: true, columns: 120 };

describe('detectOutput', () => {
  it('a pipe is plain whatever the environment says about colour', () => {
    expect(detectOutput({ isTTY: false, columns: undefined, env: {} })).toEqual(PLAIN_OUTPUT);
    expect(detectOutput({ isTTY: undefined, columns: undefined, env: { COLUMNS: '200' } })).toEqual(PLAIN_OUTPUT);
  });

  it('a terminal: its width (COLUMNS first), colour unless NO_COLOR, --no-color or TERM=dumb', () => {
    expect(detectOutput({ ...tty, env: {} })).toEqual({ tty: true, width: 120, color: true });
    expect(detectOutput({ ...tty, env: { COLUMNS: '90' } }).width).toBe(90);
    expect(detectOutput({ isTTY: true, columns: 0, env: {} }).width).toBe(80);
    expect(detectOutput({ ...tty, env: { NO_COLOR: '1' } }).color).toBe(false);
    // NO_COLOR set but empty does not count (no-color.org)
    expect(detectOutput({ ...tty, env: { NO_COLOR: '' } }).color).toBe(true);
    expect(detectOutput({ ...tty, env: { TERM: 'dumb' } }).color).toBe(false);
    expect(detectOutput({ ...tty, env: {}, noColor: true }).color).toBe(false);
  });

  it('MODELGIT_FORCE_TTY: a width, or any other value for a terminal of COLUMNS or 80; 0 or empty is no', () => {
    const piped = { isTTY: false, columns: undefined };
    expect(detectOutput({ ...piped, env: { MODELGIT_FORCE_TTY: '200' } })).toEqual({ tty: true, width: 200, color: true });
    expect(detectOutput({ ...piped, env: { MODELGIT_FORCE_TTY: '1' } }).width).toBe(80);
    expect(detectOutput({ ...piped, env: { MODELGIT_FORCE_TTY: 'true', COLUMNS: '100' } }).width).toBe(100);
    expect(detectOutput({ ...piped, env: { MODELGIT_FORCE_TTY: '0' } })).toEqual(PLAIN_OUTPUT);
    expect(detectOutput({ ...piped, env: { MODELGIT_FORCE_TTY: '' } })).toEqual(PLAIN_OUTPUT);
  });
});

describe('paint', () => {
  it('colours only an output that takes colour, and stripColor takes it off again', () => {
    expect(paint(PLAIN_OUTPUT, 'best', '42')).toBe('42');
    const coloured = paint(terminalOutput(80, true), 'worse', '42');
    expect(coloured).not.toBe('42');
    expect(stripColor(coloured)).toBe('42');
  });
});
