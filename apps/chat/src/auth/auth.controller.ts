import { BadRequestException, Body, Controller, HttpCode, Post, UnauthorizedException } from '@nestjs/common';
import { AuthService, type AccessTokenResponse } from './auth.service.js';
import { UsersService } from './users.service.js';

const MAX_FIELD_LENGTH = 256;

@Controller('auth')
export class AuthController {
  constructor(
    private readonly users: UsersService,
    private readonly auth: AuthService,
  ) {}

  @Post('login')
  @HttpCode(200)
  async login(@Body() body: unknown): Promise<AccessTokenResponse> {
    const { username, password } = (body ?? {}) as Record<string, unknown>;
    if (!isField(username) || !isField(password)) {
      throw new BadRequestException('Expected {"username": string, "password": string}');
    }
    const subject = this.users.check(username, password);
    if (!subject) {
      throw new UnauthorizedException('Wrong username or password');
    }
    return this.auth.issueAccessToken(subject);
  }
}

function isField(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_FIELD_LENGTH;
}
