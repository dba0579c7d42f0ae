/**
 * What an adapter read from the person in front of the terminal. Credentials may carry raw
 * personal data (an ID number, a name); they stay in memory and go only to the identity step.
 */
export type Credential = IdCardCredential | CreditCodeCredential | BarcodeCredential | OrganisationCredential;

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

/**
 * How an organisation's unified social credit code (统一社会信用代码) reached the terminal:
 * - `typed`: staff typed the 18 characters from the business licence;
 * - `scanned`: a scanner read a symbol holding the code itself;
 * - `licence-qr`: a scanner read the QR code printed on a business licence (营业执照); only the payloads
 *   docs/organisations.md lists are recognised.
 */
export type OrganisationEntry = 'typed' | 'scanned' | 'licence-qr';

/** An organisation (a market subject: an enterprise, a co-operative, a non-enterprise legal person). */
export interface OrganisationCredential {
  kind: 'organisation';
  entry: OrganisationEntry;
  /** What was typed or scanned: the code, or the licence QR's whole payload. Never logged. */
  text: string;
}

export type CredentialKind = Credential['kind'];
