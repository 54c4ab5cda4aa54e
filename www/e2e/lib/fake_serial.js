// A fake `navigator.serial` for e2e tests, injected with page.addInitScript before the app
// loads. Each fake port bridges to a WebSocket served by `otaflash sim module|stm32 --ws`, so
// the app talks to the real simulator binaries through the same Web Serial calls it makes on a
// technician's machine. Every call is logged to `window.__serialLog` for assertions, plus
// 'opened' when an open() succeeded and 'link-closed' when the bridge dropped (or was closed).
//
// Configure before load: window.__fakeSerialPorts = [{ ws: 'ws://127.0.0.1:PORT', info: {...} }, …]
// requestPort() hands them out in order; getPorts() returns those already granted.
// Station board: addInitScript runs in every frame, so a frame of a board station
// (`?station=k`) takes window.__fakeSerialPortsByStation[k] instead when it is set, and
// keeps its grants apart (each station its own bridged devices).
// window.__fakeSerial.cut(i) drops port i's link (NetworkError on read); the same port object
// can be opened again, as after a brief glitch.
//
// USB re-enumeration (a cable pulled and plugged back): unplug(i) drops the link for good
// (the old port object refuses open() with NetworkError) and fires 'disconnect';
// reappear(i, overrides) grants a NEW port object with the same getInfo() (overrides may
// change `ws`, e.g. a replacement board), puts it in getPorts() and fires 'connect' on
// navigator.serial and on the port. Granted ports survive a page reload (sessionStorage), as
// Chrome keeps port permissions; each is re-created from __fakeSerialPorts plus its overrides.
(() => {
  const log = [];
  window.__serialLog = log;
  const station = new URLSearchParams(location.search).get('station');
  const configs = () => (station && window.__fakeSerialPortsByStation?.[station])
    ?? window.__fakeSerialPorts ?? [];
  const granted = [];
  const GRANTS = station ? `__fakeSerialGrants:station-${station}` : '__fakeSerialGrants';
  /** Per granted index, the overrides given to reappear(); kept across reloads. */
  // sessionStorage throws on opaque origins (about:blank): no grants to keep there.
  const storage = (() => { try { return window.sessionStorage; } catch { return null; } })();
  const grants = JSON.parse(storage?.getItem(GRANTS) ?? '[]');
  const saveGrants = () => storage?.setItem(GRANTS, JSON.stringify(grants));

  class FakeSerialPort extends EventTarget {
    constructor(index, config) {
      super();
      this.index = index;
      this.config = config;
      this.readable = null;
      this.writable = null;
      this.ws = null;
    }
    getInfo() { return this.config.info ?? { usbVendorId: 0x2c7c, usbProductId: 0x0125 }; }
    async open(options) {
      log.push({ port: this.index, call: 'open', options: { ...options } });
      if (this.gone) throw new DOMException('The device has been lost.', 'NetworkError');
      if (this.ws) throw new DOMException('The port is already open.', 'InvalidStateError');
      const ws = new WebSocket(this.config.ws);
      ws.binaryType = 'arraybuffer';
      await new Promise((resolve, reject) => {
        ws.onopen = resolve;
        ws.onerror = () => reject(new DOMException('Failed to open serial port.', 'NetworkError'));
      });
      this.ws = ws;
      log.push({ port: this.index, call: 'opened' });
      let controller;
      this.readable = new ReadableStream({
        start(c) { controller = c; },
      });
      ws.onmessage = (e) => { try { controller.enqueue(new Uint8Array(e.data)); } catch { /* reader gone */ } };
      ws.onclose = () => {
        log.push({ port: this.index, call: 'link-closed' });
        try { controller.error(new DOMException('The device has been lost.', 'NetworkError')); } catch { /* closed */ }
      };
      this.writable = new WritableStream({
        write: (chunk) => {
          if (ws.readyState !== WebSocket.OPEN) throw new DOMException('The device has been lost.', 'NetworkError');
          ws.send(chunk);
        },
      });
    }
    async setSignals(signals) { log.push({ port: this.index, call: 'setSignals', signals: { ...signals } }); }
    async getSignals() { return { dataCarrierDetect: false, clearToSend: true, ringIndicator: false, dataSetReady: true }; }
    async close() {
      log.push({ port: this.index, call: 'close' });
      if (this.readable?.locked || this.writable?.locked) {
        throw new DOMException('Cannot close a port with locked streams.', 'InvalidStateError');
      }
      this.ws?.close();
      this.ws = null;
      this.readable = null;
      this.writable = null;
    }
    async forget() { log.push({ port: this.index, call: 'forget' }); }
    cut() { this.ws?.close(); }
  }

  const serial = new EventTarget();
  serial.requestPort = async (options) => {
    log.push({ call: 'requestPort', options });
    const next = granted.length;
    const config = configs()[next];
    if (!config) throw new DOMException('No port selected by the user.', 'NotFoundError');
    const port = new FakeSerialPort(next, config);
    granted.push(port);
    grants[next] = {};
    saveGrants();
    return port;
  };
  serial.getPorts = async () => granted.filter((p) => !p.gone);
  grants.forEach((overrides, i) => {
    if (configs()[i]) granted.push(new FakeSerialPort(i, { ...configs()[i], ...overrides }));
  });

  /** The cable is pulled: the link drops and this port object is dead. */
  const unplug = (i) => {
    const port = granted[i];
    if (!port) return;
    log.push({ port: i, call: 'unplug' });
    port.gone = true;
    port.cut();
    const event = new Event('disconnect');
    port.dispatchEvent(event);
    serial.dispatchEvent(new Event('disconnect'));
  };
  /** The device enumerates again: a new port object with the same USB ids. */
  const reappear = (i, overrides = {}) => {
    const old = granted[i];
    if (!old) return;
    if (!old.gone) unplug(i);
    grants[i] = { ...grants[i], ...overrides };
    saveGrants();
    const port = new FakeSerialPort(i, { ...old.config, ...overrides });
    granted[i] = port;
    log.push({ port: i, call: 'reappear' });
    port.dispatchEvent(new Event('connect'));
    serial.dispatchEvent(new Event('connect'));
  };
  Object.defineProperty(Navigator.prototype, 'serial', { get() { return serial; }, configurable: true });
  window.__fakeSerial = { ports: granted, cut: (i) => granted[i]?.cut(), unplug, reappear };
})();
