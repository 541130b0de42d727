import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { TranslateError } from './translate-error.js';

/** An empty JSON Schema object: Anthropic requires `input_schema` of type object, OpenAI allows `parameters` to be absent. */
const EMPTY_SCHEMA: Anthropic.Tool.InputSchema = { type: 'object', properties: {} };

/**
 * OpenAI `tools[]` → Anthropic `tools[]`: `{type:"function", function:{name, description, parameters,
 * strict}}` → `{name, description, input_schema, strict}` (OpenAI Chat Completions "tools";
 * Anthropic Messages API "Tool use"). Custom (free-text grammar) tools have no counterpart.
 */
export function anthropicTools(tools: OpenAI.Chat.ChatCompletionTool[]): Anthropic.Tool[] {
  return tools.map((t, i) => {
    if (t?.type !== 'function' || !t.function)
      throw new TranslateError(`tools[${i}]: ${String(t?.type)} tools have no Anthropic counterpart (function tools only)`, `tools[${i}]`);
    const f = t.function;
    const tool: Anthropic.Tool = { name: f.name, input_schema: (f.parameters as Anthropic.Tool.InputSchema | undefined) ?? EMPTY_SCHEMA };
    if (f.description) tool.description = f.description;
    if (typeof f.strict === 'boolean') tool.strict = f.strict;
    return tool;
  });
}

/**
 * Anthropic `tools[]` → OpenAI `tools[]` (the reverse of anthropicTools). Anthropic's server tools
 * and Anthropic-defined client tools (web search, bash, text editor, computer, …: any `type` other
 * than `custom`) run on Anthropic's side or need its schemas, and have no counterpart.
 */
export function openaiTools(tools: Anthropic.ToolUnion[]): OpenAI.Chat.ChatCompletionFunctionTool[] {
  return tools.map((t, i) => {
    const type = (t as { type?: string | null }).type;
    if ((type !== undefined && type !== null && type !== 'custom') || !('input_schema' in t)) {
      throw new TranslateError(
        `tools[${i}]: Anthropic tool ${String(type ?? (t as { name?: string }).name)} has no OpenAI counterpart (custom tools with input_schema only)`,
        `tools[${i}]`,
      );
    }
    const fn: OpenAI.FunctionDefinition = { name: t.name, parameters: t.input_schema as OpenAI.FunctionParameters };
    if (t.description) fn.description = t.description;
    if (typeof t.strict === 'boolean') fn.strict = t.strict;
    return { type: 'function', function: fn };
  });
}

/**
 * OpenAI `tool_choice` (+ `parallel_tool_calls`) → Anthropic `tool_choice`: `auto` → `{type:"auto"}`,
 * `none` → `{type:"none"}`, `required` → `{type:"any"}`, `{type:"function",function:{name}}` →
 * `{type:"tool",name}`; `parallel_tool_calls: false` → `disable_parallel_tool_use: true` (on an
 * `auto` choice when none was given). Undefined when neither says anything. `allowed_tools` and
 * custom-tool choices have no counterpart.
 */
export function anthropicToolChoice(
  choice: OpenAI.Chat.ChatCompletionToolChoiceOption | undefined,
  parallel: boolean | undefined,
): Anthropic.ToolChoice | undefined {
  const serial = parallel === false;
  let out: Anthropic.ToolChoice;
  if (choice === undefined || choice === null) {
    if (!serial) return undefined;
    out = { type: 'auto' };
  } else if (choice === 'auto') out = { type: 'auto' };
  else if (choice === 'none') return { type: 'none' };
  else if (choice === 'required') out = { type: 'any' };
  else if (typeof choice === 'object' && choice.type === 'function' && typeof choice.function?.name === 'string')
    out = { type: 'tool', name: choice.function.name };
  else throw new TranslateError(`tool_choice ${JSON.stringify(choice)}: no Anthropic counterpart (auto, none, required or a named function)`, 'tool_choice');
  if (serial) out.disable_parallel_tool_use = true;
  return out;
}

/**
 * Anthropic `tool_choice` → OpenAI `tool_choice` and `parallel_tool_calls` (the reverse of
 * anthropicToolChoice): `auto` → `auto`, `any` → `required`, `tool` → a named function, `none` →
 * `none`; `disable_parallel_tool_use: true` → `parallel_tool_calls: false`.
 */
export function openaiToolChoice(choice: Anthropic.ToolChoice | undefined): {
  tool_choice?: OpenAI.Chat.ChatCompletionToolChoiceOption;
  parallel_tool_calls?: boolean;
} {
  if (!choice) return {};
  const serial = 'disable_parallel_tool_use' in choice && choice.disable_parallel_tool_use === true ? { parallel_tool_calls: false } : {};
  switch (choice.type) {
    case 'auto':
      return { tool_choice: 'auto', ...serial };
    case 'any':
      return { tool_choice: 'required', ...serial };
    case 'tool':
      return { tool_choice: { type: 'function', function: { name: choice.name } }, ...serial };
    case 'none':
      return { tool_choice: 'none' };
    default:
      throw new TranslateError(`tool_choice ${JSON.stringify(choice)}: no OpenAI counterpart`, 'tool_choice');
  }
}
