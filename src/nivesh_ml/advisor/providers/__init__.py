"""LLM providers behind one interface: Gemini, any OpenAI-compatible endpoint, and an offline composer."""

from __future__ import annotations

from nivesh_ml.advisor.providers.base import AdviceRequest, Provider, ProviderError, ProviderReply, ToolCall

__all__ = ["AdviceRequest", "Provider", "ProviderError", "ProviderReply", "ToolCall"]
