// Writes man/georep.1 from the built CLI's own help text (dist/cli/man-page.js). Run by
// `npm run build`, so `npm pack` ships a page that matches the code it ships.
// The date is SOURCE_DATE_EPOCH's when set (reproducible builds), else today's.
import { mkdirSync, writeFileSync } from 'node:fs';

const { packageVersion } = await import('../dist/cli/package-info.js');
const { programForDocs, renderManPage } = await import('../dist/cli/man-page.js');

const epoch = process.env.SOURCE_DATE_EPOCH;
const date = new Date(epoch ? Number(epoch) * 1000 : Date.now()).toISOString().slice(0, 10);
const out = new URL('../man/georep.1', import.meta.url);
mkdirSync(new URL('.', out), { recursive: true });
writeFileSync(out, renderManPage(programForDocs(), { version: packageVersion(), date }));
