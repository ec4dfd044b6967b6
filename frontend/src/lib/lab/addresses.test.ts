import { describe, expect, it } from 'vitest';
import {
  addressFormOf,
  extrasWithAddresses,
  isCidr,
  isIp,
  sameForm,
  splitAddresses,
} from './addresses';

describe('addresses', () => {
  it('tells addresses and prefixes apart from the rest', () => {
    expect(isIp('10.0.1.1')).toBe(true);
    expect(isIp('2001:db8::1')).toBe(true);
    expect(isIp('10.0.1')).toBe(false);
    expect(isIp('256.0.0.1')).toBe(false);
    expect(isIp('fe80')).toBe(false);
    expect(isCidr('10.0.1.10/24')).toBe(true);
    expect(isCidr('2001:db8::1/64')).toBe(true);
    expect(isCidr('10.0.1.10')).toBe(false);
    expect(isCidr('10.0.1.10/33')).toBe(false);
    expect(isCidr('2001:db8::1/129')).toBe(false);
    expect(isCidr('x/24')).toBe(false);
  });

  it('splits on commas and spaces', () => {
    expect(splitAddresses(' 10.0.0.1/24, 2001:db8::1/64  10.1.0.1/16 ,')).toEqual([
      '10.0.0.1/24',
      '2001:db8::1/64',
      '10.1.0.1/16',
    ]);
    expect(splitAddresses('  ')).toEqual([]);
  });

  it('reads the form from the extras, one field per interface', () => {
    const form = addressFormOf({
      ethernet: 3,
      extras: {
        addresses: { eth0: ['10.0.1.10/24'], eth2: ['10.0.3.1/24', '10.0.4.1/24'] },
        default_gateway: '10.0.1.1',
      },
    });
    expect(form).toEqual({
      interfaces: ['10.0.1.10/24', '', '10.0.3.1/24, 10.0.4.1/24'],
      gateway: '10.0.1.1',
    });
    expect(addressFormOf({ ethernet: 1, extras: { addresses: 'nonsense' } })).toEqual({
      interfaces: [''],
      gateway: '',
    });
    expect(
      sameForm(form, { ...form, interfaces: ['10.0.1.10/24 ', '', '10.0.3.1/24 10.0.4.1/24'] }),
    ).toBe(true);
    expect(sameForm(form, { ...form, gateway: '10.0.1.2' })).toBe(false);
  });

  it('writes them back, keeping the other extras', () => {
    const extras = {
      frr_conf: 'hostname r1\n',
      profile: 'frr-router',
      addresses: { eth3: ['1.1.1.1/32'] },
    };
    const r = extrasWithAddresses(
      extras,
      { interfaces: ['10.0.1.1/24', '', '10.0.3.1/24'], gateway: '9.9.9.9' },
      false,
    );
    expect(r).toEqual({
      extras: {
        frr_conf: 'hostname r1\n',
        profile: 'frr-router',
        addresses: { eth0: ['10.0.1.1/24'], eth2: ['10.0.3.1/24'] },
      },
    });
    const host = extrasWithAddresses(
      { default_gateway: '10.0.0.1' },
      { interfaces: [''], gateway: '' },
      true,
    );
    expect(host).toEqual({ extras: {} });
    expect(
      extrasWithAddresses({}, { interfaces: ['10.0.1.10/24'], gateway: '10.0.1.1' }, true),
    ).toEqual({ extras: { addresses: { eth0: ['10.0.1.10/24'] }, default_gateway: '10.0.1.1' } });
  });

  it('names the first bad entry', () => {
    expect(extrasWithAddresses({}, { interfaces: ['', '10.0.0.1'], gateway: '' }, true)).toEqual({
      error: 'eth1: “10.0.0.1” is not an address/prefix',
    });
    expect(extrasWithAddresses({}, { interfaces: [''], gateway: 'gw' }, true)).toEqual({
      error: '“gw” is not an IP address',
    });
  });
});
