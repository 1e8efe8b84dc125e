// CSV import with upload progress. The server streams the upload into the
// importer (one transaction): clinical columns are dropped at the door and
// named in the report.

import { upload, practicePath, idempotencyKey } from './api.js';
import { h, clear, field, table, facts, alertBox, showError, statusBox, setStatus, busy, formatNumber } from './dom.js';
import { denied } from './state.js';

export async function render(ctx) {
  const { main, signal } = ctx;
  main.append(h('h1', null, 'Import patients'),
    h('p', null, 'Upload the practice\'s patient export (CSV). Only contact fields are kept; clinical columns are dropped ',
      'before anything is stored and listed below. Names, phones and emails are encrypted at rest.'));
  if (denied(main, 'patient.import', 'Importing patients')) return;
  const fileField = field('CSV file', 'input', { type: 'file', accept: '.csv,text/csv', 'aria-describedby': 'csv-help' });
  const submit = h('button', { type: 'submit', class: 'button-primary' }, 'Upload');
  const error = alertBox();
  const status = statusBox();
  const barId = 'upload-progress';
  const bar = h('progress', { id: barId, max: '100', value: '0' });
  const barLabel = h('label', { for: barId }, 'Upload progress');
  const barText = h('span', { class: 'muted', 'aria-live': 'polite' });
  const progress = h('div', { class: 'progress' }, barLabel, bar, barText);
  progress.hidden = true;
  const result = h('div');
  const form = h('form', { class: 'card', novalidate: true },
    fileField.wrap,
    h('p', { class: 'help', id: 'csv-help' }, 'A header row, then one patient per line (RFC 4180). Up to 512 MiB. Synthetic or real exports only under the recorded BAA.'),
    progress, error, status, submit);
  main.append(form, result);

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    showError(error, null);
    setStatus(status, '');
    clear(result);
    const file = fileField.input.files && fileField.input.files[0];
    if (!file) {
      showError(error, { message: 'Choose a CSV file first.' });
      return;
    }
    busy([submit, fileField.input], async () => {
      progress.hidden = false;
      bar.max = file.size || 1;
      bar.value = 0;
      barText.textContent = ' 0%';
      try {
        const report = await upload(practicePath('/patients/import'), file, 'text/csv', (loaded, total) => {
          if (signal.aborted) return;
          bar.max = total || 1;
          bar.value = loaded;
          const pct = Math.floor((100 * loaded) / (total || 1));
          if (loaded >= total) {
            bar.removeAttribute('value');  // indeterminate: the server is still importing
            barText.textContent = ' Uploaded; importing…';
          } else {
            barText.textContent = ` ${pct}%`;
          }
        }, idempotencyKey());
        if (signal.aborted) return;
        progress.hidden = true;
        setStatus(status, `Imported ${formatNumber(report.imported)} new and updated ${formatNumber(report.updated)} patients.`);
        result.append(h('section', { 'aria-labelledby': 'ir-h' }, h('h2', { id: 'ir-h' }, 'Import report'),
          facts([
            ['New patients', formatNumber(report.imported)],
            ['Updated', formatNumber(report.updated)],
            ['Rejected lines', formatNumber(report.rejected_total)],
            ['Columns dropped (not kept)', (report.dropped_columns || []).join(', ') || 'none'],
            report.consent_columns_applied !== undefined ? ['Consent records from the file', formatNumber(report.consent_columns_applied)] : null,
          ]),
          (report.rejected || []).length ? [h('h3', null, 'Rejected lines'),
            table([
              { label: 'Line', class: 'num', render: (r) => String(r.line) },
              { label: 'Reason', render: (r) => r.reason },
            ], report.rejected, { label: 'Rejected lines' })] : null));
        fileField.input.value = '';
      } catch (e) {
        progress.hidden = true;
        showError(error, e);
      }
    });
  });
}
