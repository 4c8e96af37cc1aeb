import { formatCentimes } from '../money/rounding.js';
import type { CheckoutSession } from './checkout.js';

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESC[c]!);

/**
 * The simulated provider's hosted page: the amount, the bills, and two buttons. It asks for no card
 * number (a real gateway's page does, on its own servers): metergate never sees card data.
 */
export function checkoutPage(s: CheckoutSession): string {
  const open = s.status === 'pending';
  return `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Paiement simulé</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}
.amount{font-size:2rem;margin:1rem 0}button{font-size:1rem;padding:.6rem 1.2rem;margin-right:.5rem}</style></head>
<body><h1>Passerelle de paiement simulée</h1>
<p>Démonstration : aucune donnée de carte n'est demandée ni conservée.</p>
<p>Factures : <span id="bills">${escapeHtml(s.billNumbers.join(', '))}</span></p>
<p class="amount" id="amount">${formatCentimes(s.amount)} MAD</p>
${
  open
    ? `<form method="post" action="/pay/sim/${escapeHtml(s.id)}">
<button name="decision" value="approve" id="approve">Payer</button>
<button name="decision" value="decline" id="decline">Refuser</button></form>`
    : `<p id="status">Session ${escapeHtml(s.status)}</p>`
}
</body></html>`;
}
