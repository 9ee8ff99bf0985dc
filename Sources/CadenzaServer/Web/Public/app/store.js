// One store for the app: state plus `change` events; views subscribe while mounted.
class Store extends EventTarget {
  constructor() {
    super();
    this.state = { me: null, online: true, live: [] };
  }
  set(patch) {
    Object.assign(this.state, patch);
    this.dispatchEvent(new CustomEvent('change', { detail: patch }));
  }
}
export const store = new Store();
