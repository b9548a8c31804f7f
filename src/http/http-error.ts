// An application error raised by http/ itself, carrying headers its status asks for (Content-Range on a 416):
// the domain's errors carry none, as the domain knows nothing of HTTP.
import { AppError, type ErrorCode } from '../domain/errors.js';

export class HttpAppError extends AppError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly headers: Record<string, string>,
  ) {
    super(code, message);
    this.name = 'HttpAppError';
  }
}
