/**
 * What an adapter read from the person in front of the terminal. Credentials may carry raw
 * personal data (an ID number, a name); they stay in memory and go only to the identity step.
 */
export type Credential = IdCardCredential | CreditCodeCredential | BarcodeCredential;

export type IdCardType = 'resident' | 'hk-macao-taiwan' | 'foreign-permanent-2017' | 'foreign-permanent-2023';

export interface IdCardCredential {
  kind: 'id-card';
  /** The card's document number. Never logged; pseudonymised by the identity step. */
  idNumber: string;
  cardType?: IdCardType;
  /** The holder's name as printed; used only for a masked display form. */
  name?: string;
}

export interface CreditCodeCredential {
  kind: 'credit-code';
  /** The scanned text of a signed credit QR code (for example `QZ1:...`). */
  text: string;
}

export interface BarcodeCredential {
  kind: 'barcode';
  /** A member, ticket or library-card number. */
  text: string;
  symbology?: string;
}

export type CredentialKind = Credential['kind'];
