import { describe, expect, it } from 'vitest';
import { openerFor, redirectPage } from '../../src/lib/browser/open-browser.js';

// The opener per platform and the redirect page `krypt open` hands to it.

describe('openerFor', () => {
  it('uses xdg-open, open, or cmd /c start "" with the file path as the only non-fixed argument', () => {
    expect(openerFor('linux', '/tmp/d/sign-in.html')).toEqual({ command: 'xdg-open', args: ['/tmp/d/sign-in.html'], verbatim: false });
    expect(openerFor('freebsd', '/tmp/d/sign-in.html').command).toBe('xdg-open');
    expect(openerFor('darwin', '/tmp/d/sign-in.html')).toEqual({ command: 'open', args: ['/tmp/d/sign-in.html'], verbatim: false });
    expect(openerFor('win32', 'C:\\Users\\A B\\Temp\\d\\sign-in.html')).toEqual({
      command: 'cmd',
      args: ['/c', 'start', '""', '"C:\\Users\\A B\\Temp\\d\\sign-in.html"'],
      verbatim: true,
    });
  });
});

describe('redirectPage', () => {
  it('redirects without script or referrer, the URL escaped for an attribute', () => {
    const page = redirectPage('https://k.example/sign-in#code=ksign_a&next=%2F"><script>');
    expect(page).not.toMatch(/<script/i);
    expect(page).toContain('<meta name="referrer" content="no-referrer">');
    expect(page).toContain('<meta http-equiv="refresh" content="0;url=https://k.example/sign-in#code=ksign_a&amp;next=%2F&quot;&gt;&lt;script&gt;">');
  });
});
