import { createMemoryJournal } from '../../../sdk/journal/memory-journal.js';
import { journalContract } from './journal-contract.js';

journalContract('memory', (clock) => createMemoryJournal({ clock }));
