import './app.css';
import './markdown.css';
import { mount } from 'svelte';
import App from './components/App.svelte';
import { i18n } from './lib/i18n/index.svelte';
import { settings } from './lib/stores/settings.svelte';

settings.apply();
document.documentElement.lang = i18n.locale;

const target = document.getElementById('app');
if (target) mount(App, { target });
