import { mount } from 'svelte';
import '@xyflow/svelte/dist/style.css';
import '@xterm/xterm/css/xterm.css';
import './app.css';
import App from './App.svelte';

const target = document.getElementById('app');
if (!target) throw new Error('#app missing from index.html');

export default mount(App, { target });
