// The device behind the serial medium: how it is asked to open (8N1, RTS/CTS, locked) and what an open one does.

/** What SerialMedium asks of the device opener: Heartbeat's ttysetup, 8N1 with RTS/CTS. */
export interface SerialOpenRequest {
  readonly path: string;
  readonly baudRate: number;
  readonly dataBits: 8;
  readonly stopBits: 1;
  readonly parity: 'none';
  readonly rtscts: true;
  /** An exclusive flock(2) on the device (Heartbeat uses UUCP lock files; both keep two daemons off one line). */
  readonly lock: true;
}

/** How an open device reports back; `lost` at most once, after which the device does nothing more. */
export interface SerialDeviceEvents {
  data(bytes: Uint8Array): void;
  lost(cause: string): void;
}

/** An open device. The medium has at most one write in flight. */
export interface SerialDevice {
  /** Resolves once every byte is handed to the OS; may wait as long as flow control holds the line. */
  write(bytes: Uint8Array): Promise<void>;
  /** Idempotent; never rejects. */
  close(): Promise<void>;
}

export type OpenSerialDevice = (request: SerialOpenRequest, events: SerialDeviceEvents) => Promise<SerialDevice>;
