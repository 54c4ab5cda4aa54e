// <ota-flasher>: embeds the otaflash web flasher in a support portal.
//
//   <script src="https://flasher.example.com/embed/ota-flasher.js" integrity="sha384-…" crossorigin="anonymous"></script>
//   <ota-flasher src="https://flasher.example.com/" lang="zh"></ota-flasher>
//
// The element wraps an <iframe allow="serial"> (Web Serial in a cross-origin frame needs
// it), posts commands to the flasher at its exact origin, and re-dispatches the flasher's
// messages as DOM events named after their type: `otaflash:ready`, `otaflash:state`,
// `otaflash:stage`, `otaflash:progress`, `otaflash:plan`, `otaflash:result`,
// `otaflash:rejected`, with the message as `event.detail`. Messages are accepted only
// from the frame's own window and origin. The flasher answers only parents its
// deployment allowlists (<meta name="otaflash-embed-origins"> in its index.html).
//
// Methods (commands sent before the flasher is ready are queued until otaflash:ready):
// start({ job: 'sota'|'fota'|'flash', component, current_version, auto_confirm,
// file: ArrayBuffer, file_name }) or start({ job: 'espat', url }) (AT+USEROTA) or
// start({ job: 'espat', version, partition, https, nonblocking }) (AT+CIUPDATE; the two
// booleans set <ota mode> 1 and <nonblocking> 1, default false); every start also takes
// retries (0-10, default 0) and retry_interval (seconds, default 300; IoTDA suggests 2 x 300):
// one otaflash:result after the last attempt, its report with an `attempts` list.
// decidePlan(accept), cancel() (also ends a wait between attempts), nextDevice().
// No dependencies, no globals besides the custom element.
(() => {
  if (customElements.get('ota-flasher')) return;

  class OtaFlasher extends HTMLElement {
    static get observedAttributes() { return ['src']; }

    constructor() {
      super();
      this._frame = null;
      this._origin = null;
      this._ready = false;
      this._queue = []; // commands sent before the flasher said otaflash:ready
      this._onMessage = (event) => this._receive(event);
    }

    connectedCallback() {
      window.addEventListener('message', this._onMessage);
      this._render();
    }

    disconnectedCallback() {
      window.removeEventListener('message', this._onMessage);
    }

    attributeChangedCallback() {
      if (this.isConnected) this._render();
    }

    /** The flasher's origin (commands go there and only its messages are read). */
    get flasherOrigin() { return this._origin; }

    /** Start a job; a `file` ArrayBuffer is transferred, not copied. */
    start(params = {}) {
      const message = { ...params, type: 'otaflash:start' };
      const transfer = params.file instanceof ArrayBuffer ? [params.file] : [];
      this._post(message, transfer);
    }

    decidePlan(accept) { this._post({ type: 'otaflash:decide-plan', accept: Boolean(accept) }); }

    cancel() { this._post({ type: 'otaflash:cancel' }); }

    nextDevice() { this._post({ type: 'otaflash:next-device' }); }

    _render() {
      const src = this.getAttribute('src');
      if (!src) return;
      const url = new URL(src, document.baseURI);
      // Browsers without location.ancestorOrigins learn the parent's origin from this
      // parameter; the flasher still checks it against its allowlist.
      url.searchParams.set('parent', window.location.origin);
      if (this._frame && this._frame.src === url.href) return;
      this._origin = url.origin;
      const frame = document.createElement('iframe');
      frame.src = url.href;
      frame.allow = 'serial; screen-wake-lock';
      frame.title = this.getAttribute('title') || 'otaflash firmware flasher';
      frame.style.cssText = 'border:0;width:100%;height:100%;min-height:640px;display:block';
      this.replaceChildren(frame);
      this._frame = frame;
      this._ready = false;
      this._queue = [];
    }

    _post(message, transfer = []) {
      if (!this._frame || !this._origin) throw new Error('ota-flasher: no src');
      if (!this._ready) {
        this._queue.push([message, transfer]);
        return;
      }
      this._frame.contentWindow.postMessage(message, this._origin, transfer);
    }

    _receive(event) {
      if (!this._frame || event.source !== this._frame.contentWindow || event.origin !== this._origin) return;
      const type = event.data?.type;
      if (typeof type !== 'string' || !type.startsWith('otaflash:')) return;
      if (type === 'otaflash:ready') {
        this._ready = true;
        for (const [message, transfer] of this._queue.splice(0)) {
          this._frame.contentWindow.postMessage(message, this._origin, transfer);
        }
      }
      this.dispatchEvent(new CustomEvent(type, { detail: event.data, bubbles: true, composed: true }));
    }
  }

  customElements.define('ota-flasher', OtaFlasher);
})();
