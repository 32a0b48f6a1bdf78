import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { CHAT_CONFIG } from '../chat.constants.js';
import type { ChatConfig } from '../chat.config.js';

export interface AccessTokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

@Injectable()
export class AuthService {
  constructor(
    private readonly jwt: JwtService,
    @Inject(CHAT_CONFIG) private readonly config: ChatConfig,
  ) {}

  /** The longest an access token of ours may live. */
  get maxTokenLifetimeMs(): number {
    return this.config.accessTokenTtlSec * 1000;
  }

  /** A new login session: every login gets its own `sid`, so a logout ends that one alone. */
  async issueAccessToken(subject: string): Promise<AccessTokenResponse> {
    const expiresIn = this.config.accessTokenTtlSec;
    const accessToken = await this.jwt.signAsync({ sub: subject, sid: randomUUID() }, { expiresIn });
    return { access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn };
  }
}
