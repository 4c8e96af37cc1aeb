export {
  reverseVend,
  reprintVend,
  creditNote,
  STS_CANNOT_REVOKE,
  type ReverseRequest,
  type CreditNoteRequest,
} from './reversal.js';
export { issueFreeBasic, freeBasicReport } from './free-basic.js';
export { smsPurchase, parseSmsPurchase, type InboundSms, type SmsPurchaseAnswer } from './sms-purchase.js';
export {
  checkCreditTransfer,
  transferCredit,
  type CreditTransfer,
  type CreditTransferRequest,
} from './credit-transfer.js';
