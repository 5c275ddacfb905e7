import { render } from 'preact';
import './style.css';
import { App } from './ui/app.js';

render(<App />, document.body.querySelector('#root')!);
